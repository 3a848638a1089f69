"""Who is protected and what they are told: the age policy, the localized wording, the evidence
log."""
