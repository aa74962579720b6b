"""UserService (acme.user.v1): accounts in memory and a live support chat."""
