"""The runtime every service uses: mechanisms only, never business rules."""
