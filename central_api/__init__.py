"""The central server (device API, county and city review, supervision): built in a later issue."""
