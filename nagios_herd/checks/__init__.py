"""Check plugins: one module per check; ``checks/`` holds the thin executables."""
