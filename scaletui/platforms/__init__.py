"""Where machines come from: EnosLib testbeds, hosts over SSH, or this machine. See `base.Platform`."""
