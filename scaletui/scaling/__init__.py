"""Scaling: strategies, the control loop, and the streaming-job simulator they are measured on."""
