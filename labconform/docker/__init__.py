"""Docker on the lab host: the engine, the run's containers and images, Tomcat in them, the JVMs starting."""
