#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The role's drop-ins as one set: validated together, written together.

Checking each drop-in on its own against the files as they are would refuse changes that
are only valid together (`ingress: enforce` in one layer needs `mode: enforce` in
another). So the module builds the configuration as it will be in a temporary copy (the
main file, every drop-in the role does not own, the role's new ones), runs
`flowguard check` on that copy, and only then replaces the changed files (each
atomically, root 0644) and removes the managed ones it was not given. It validates in
check mode too, so `--check` already refuses a broken change.
"""

DOCUMENTATION = r"""
module: flowguard_dropins
short_description: Validate and write flowguard's Ansible-managed conf.d drop-ins
description:
  - Owns every C(PREFIX*.yaml) in the conf.d directory beside O(config); writes the ones
    in O(files) and removes the others, after C(flowguard check) passed on the whole
    resulting configuration.
  - Returns the configuration's sha256 as C(flowguard check) prints it, which the running
    agent reports (status, metrics) once it has loaded exactly these files.
options:
  files:
    description: File name (in conf.d) to content.
    type: dict
    required: true
  config:
    description: The main configuration file.
    type: path
    default: /etc/flowguard/flowguard.yaml
  prefix:
    description: The names the module owns.
    type: str
    default: 50-ansible-
  backup_dir:
    description: Before a change, the managed files as they were are copied here (the
      lockout guard puts them back).
    type: path
  flowguard:
    description: The flowguard binary.
    type: path
    default: /usr/sbin/flowguard
supports_check_mode: true
"""

RETURN = r"""
sha256:
  description: The configuration's identity (C(flowguard check) prints it).
  type: str
written:
  description: Names written or to be written.
  type: list
removed:
  description: Names removed or to be removed.
  type: list
"""

import os
import re
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule


def read(path):
    with open(path, "r", encoding="utf-8") as f:
        return f.read()


def owned(n, prefix):
    return n.startswith(prefix) and n.endswith(".yaml")


def managed(confd, prefix):
    if not os.path.isdir(confd):
        return {}
    return {
        n: read(os.path.join(confd, n))
        for n in sorted(os.listdir(confd))
        if owned(n, prefix)
    }


def stage(config, confd, prefix, files, tmp):
    """The configuration as it will be, under tmp."""
    os.mkdir(os.path.join(tmp, "conf.d"))
    shutil.copyfile(config, os.path.join(tmp, "flowguard.yaml"))
    if os.path.isdir(confd):
        for n in os.listdir(confd):
            if n.endswith(".yaml") and not owned(n, prefix):
                shutil.copyfile(os.path.join(confd, n), os.path.join(tmp, "conf.d", n))
    for n, text in files.items():
        with open(os.path.join(tmp, "conf.d", n), "w", encoding="utf-8") as f:
            f.write(text)


def write_atomic(path, text):
    fd, tmp = tempfile.mkstemp(prefix=".", dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.chown(tmp, 0, 0)
        os.rename(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def backup(confd, old, backup_dir):
    shutil.rmtree(backup_dir, ignore_errors=True)
    os.makedirs(backup_dir, mode=0o700)
    for n in old:
        shutil.copy2(os.path.join(confd, n), os.path.join(backup_dir, n))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            files=dict(type="dict", required=True),
            config=dict(type="path", default="/etc/flowguard/flowguard.yaml"),
            prefix=dict(type="str", default="50-ansible-"),
            backup_dir=dict(type="path"),
            flowguard=dict(type="path", default="/usr/sbin/flowguard"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    prefix = p["prefix"]
    files = {n: str(t) for n, t in p["files"].items()}
    for n in files:
        if "/" in n or not owned(n, prefix):
            module.fail_json(msg="%s: not a name %s*.yaml in conf.d" % (n, prefix))
    confd = os.path.join(os.path.dirname(p["config"]), "conf.d")
    old = managed(confd, prefix)
    written = [n for n in sorted(files) if old.get(n) != files[n]]
    removed = [n for n in sorted(old) if n not in files]
    diff = [dict(before_header=os.path.join(confd, n), after_header=os.path.join(confd, n),
                 before=old.get(n, ""), after=files.get(n, ""))
            for n in sorted(set(written) | set(removed))]
    changed = bool(written or removed)

    if module.check_mode and not os.path.exists(p["flowguard"]):
        # Check mode on a host the package is not on yet: nothing to validate with.
        module.exit_json(changed=changed, diff=diff, sha256="", written=written,
                         removed=removed)
    tmp = tempfile.mkdtemp(prefix="flowguard-ansible.")
    try:
        stage(p["config"], confd, prefix, files, tmp)
        rc, out, err = module.run_command(
            [p["flowguard"], "check", "-c", os.path.join(tmp, "flowguard.yaml")])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if rc != 0:
        # Errors name the staged copy; name the real files instead.
        msg = (err + out).replace(tmp + "/", os.path.dirname(p["config"]) + "/")
        module.fail_json(msg="flowguard check refused the new configuration:\n" + msg,
                         rc=rc)
    m = re.search(r"^config sha256 ([0-9a-f]{64})", out, re.M)
    if not m:
        module.fail_json(msg="flowguard check printed no config sha256: %s" % out.strip())

    if changed and not module.check_mode:
        if p["backup_dir"]:
            backup(confd, old, p["backup_dir"])
        for n in written:
            write_atomic(os.path.join(confd, n), files[n])
        for n in removed:
            os.unlink(os.path.join(confd, n))
    module.exit_json(changed=changed, diff=diff, sha256=m.group(1), written=written,
                     removed=removed)


if __name__ == "__main__":
    main()
