"""Step definitions: parse the Gherkin, ask the labconform library, judge with evidence."""
