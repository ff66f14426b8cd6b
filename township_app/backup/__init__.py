"""Backups, restore and upgrades: one zip a backup, checked before it is put back, and the backup
before every migration."""
