"""AnalyticsService (acme.analytics.v1): live metrics fan-out, event intake, session analysis."""
