"""The assembly: a live, multilingual workers' parliament."""
