"""Small rules every capability leans on: domain errors, money as text, run-time settings, the schema, who sees which rows, China's working days and the reference data from seed/."""
