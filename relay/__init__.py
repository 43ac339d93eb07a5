"""The relay: a rolling strike that hands a baton from site to site across time zones."""
