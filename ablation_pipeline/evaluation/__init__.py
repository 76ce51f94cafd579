"""Predictions into numbers: named metrics with their direction, the long scores table, and views
across variants (retrain gap, dose-response, costs)."""
