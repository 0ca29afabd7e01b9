#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: svadmin
short_description: Manage a runit service of an Aloofix guest with svadmin and sv
version_added: 0.1.0
description:
  - Enables or disables a runit service in a runlevel with Aloofix's C(/sbin/svadmin), and starts, stops or
    restarts it with C(sv). Works on guests that have no Python (an action plugin using the host's own
    connection).
  - A service is I(enabled) in a runlevel when C(/etc/sv/RUNLEVEL/NAME) links to its definition in
    C(/etc/sv/all/NAME) and it has no C(down) file. C(svadmin enable) adds the link and removes the C(down)
    file; C(svadmin disable) creates the C(down) file (it keeps the link). In the current runlevel both also
    start or stop the service.
  - The service is read once, the change is computed from what was read, and in check mode nothing is run.
    With C(--diff) the before and after are C({enabled, state}).
author: Buildstrap developers (!UNKNOWN)
options:
  name:
    description: The service, a directory of C(/etc/sv/all) on the guest (for example C(httpd)).
    type: str
    required: true
  enabled:
    description: Whether the service is enabled in I(runlevel).
    type: bool
  runlevel:
    description:
      - The runlevel (a directory of C(/etc/sv)) to enable or disable the service in.
      - Default is the current runlevel (where C(/var/service) points).
      - I(state) needs the current runlevel, because runit supervises only its services.
    type: str
  state:
    description:
      - C(started) and C(stopped) are idempotent; C(restarted) always restarts (and reports a change).
      - Uses C(sv -w WAIT start|stop|restart), which waits until runit reports the service up or down.
    type: str
    choices: [started, stopped, restarted]
  wait:
    description: Seconds C(sv) waits for the service to come up or go down.
    type: int
    default: 30
extends_documentation_fragment:
  - aloofix.buildstrap.guest
notes:
  - At least one of I(enabled) and I(state) is required.
  - Aloofix's httpd and dropbear run scripts exit when there is no default route, so they may not stay up on a
    guest without one.
seealso:
  - module: aloofix.buildstrap.guest_command
"""

EXAMPLES = r"""
- name: Serve the package feed from the build server
  aloofix.buildstrap.svadmin:
    name: httpd
    enabled: true
    state: started

- name: Keep ntpd out of the default runlevel
  aloofix.buildstrap.svadmin:
    name: ntpd
    enabled: false
    runlevel: default

- name: Restart dropbear after changing its configuration
  aloofix.buildstrap.svadmin:
    name: dropbear
    state: restarted
"""

RETURN = r"""
enabled:
  description: Whether the service is enabled in the runlevel (after the change; predicted in check mode).
  returned: success
  type: bool
  sample: true
state:
  description: C(started) or C(stopped) as runit reports it (predicted in check mode); null when the runlevel
    is not the current one.
  returned: success
  type: str
  sample: started
runlevel:
  description: The runlevel the service was managed in.
  returned: success
  type: str
  sample: default
current_runlevel:
  description: The guest's current runlevel.
  returned: success
  type: str
commands:
  description: The commands run on the guest (that would be run, in check mode).
  returned: always
  type: list
  elements: str
  sample: ["svadmin enable httpd default", "sv -w 30 start httpd"]
sv_status:
  description: The first line of C(sv status NAME) after the change.
  returned: when a change was made
  type: str
  sample: "run: httpd: (pid 912) 3s"
diff:
  description: The service's C({enabled, state}) before and after.
  returned: with --diff
  type: dict
"""
