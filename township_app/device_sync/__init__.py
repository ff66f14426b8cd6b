"""This PC as a device of the central server: enrollment and keys, bundles and scans up, the feed
down, the USB relay of village PCs, and the background worker that runs the sync rounds."""
