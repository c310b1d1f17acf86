"""Journeys: who the customer is across channels (identity resolution), and what happened to them."""
