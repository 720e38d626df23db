"""The five panes: Reservations, Stages, Pods, Plots, Chaos."""
