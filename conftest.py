"""Root conftest: `pytest features/` collects every .feature file through the labconform plugin."""

pytest_plugins = ["labconform.plugin", "steps.host", "steps.docker", "steps.tomcat", "steps.hello"]
