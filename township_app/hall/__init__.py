"""The hall server (大厅服务器): one township PC serving the hall's LAN over HTTPS to the other windows."""
