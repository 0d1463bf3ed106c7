"""The fleet: benches registering and sending heartbeats, policies and sort rules published centrally."""
