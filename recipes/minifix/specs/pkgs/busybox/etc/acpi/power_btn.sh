#!/bin/ash
# The ACPI power button (busybox acpid, /etc/acpid.conf): a clean shutdown through init.
exec /sbin/poweroff
