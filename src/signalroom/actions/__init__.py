"""From signals to owned work: routing, actions with measured impact, outbound webhooks."""
