"""When self-service fails: channels, the recommender, the contact form and delivery."""
