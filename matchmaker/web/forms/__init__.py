"""WTForms (Flask-WTF) forms, one module per area."""
