"""Training utterances (YAML); a package only so the files ship with the wheel and hash checks."""
