"""Run the playbook stages (infrastructure, orchestration, application, local) with ansible-runner. See `runner`."""
