"""The township's pages: one blueprint per noun, thin views over casework and the stores."""
