"""The shared kernel of Bianmin: the case log, its rules, and (later) bundles and transport.

Nothing in this package imports Flask: the township app and the central server both fold the same
events with the same rules.
"""
