# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet test's connection: community.docker.nsenter with pipelining.

nsenter runs each command with the module's code on stdin as well as the local connection
does (exec_command passes in_data through), but the plugin leaves pipelining off, so every
task costs a temporary directory, a copy and a removal in the container besides the module
run. On two busy cores those were a large part of a playbook run's time.
"""
from ansible_collections.community.docker.plugins.connection import nsenter

DOCUMENTATION = '''
name: nsenter_piped
short_description: community.docker.nsenter with pipelining (tests/fleet only)
description:
    - Runs commands in the namespaces of a process, as community.docker.nsenter, with the
      module fed on stdin (pipelining).
author: flowguard
options:
    nsenter_pid:
        description:
            - PID to attach with using nsenter (the container's init).
        type: int
        default: 1
        vars:
            - name: ansible_nsenter_pid
'''


class Connection(nsenter.Connection):
    transport = 'nsenter_piped'
    has_pipelining = True
