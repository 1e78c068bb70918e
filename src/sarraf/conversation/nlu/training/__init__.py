"""Training and evaluation of the NLU model; imports scikit-learn, so never imported at inference."""
