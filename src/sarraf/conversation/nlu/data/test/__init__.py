"""Held-out test utterances (YAML); a package only so the files ship with the wheel for `sarraf nlu eval`."""
