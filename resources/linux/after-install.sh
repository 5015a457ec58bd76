
# Bootfleet (appended to electron-builder's after-install script by electron/build/linux-package.cjs).
# The privileged flash helper: root-owned and not writable by others, and its polkit action, so that
# pkexec asks "Bootfleet needs your permission to write an image..." rather than for a generic program.
BOOTFLEET_HELPER_DIR='/opt/${sanitizedProductName}/resources/flash-helper'
chown root:root "$BOOTFLEET_HELPER_DIR/bootfleet-flash-helper" && chmod 0755 "$BOOTFLEET_HELPER_DIR/bootfleet-flash-helper"
mkdir -p /usr/share/polkit-1/actions
sed "s|@HELPER@|$BOOTFLEET_HELPER_DIR/bootfleet-flash-helper|" "$BOOTFLEET_HELPER_DIR/io.bootfleet.app.policy.in" > /usr/share/polkit-1/actions/io.bootfleet.app.policy.tmp &&
  chmod 0644 /usr/share/polkit-1/actions/io.bootfleet.app.policy.tmp &&
  mv -f /usr/share/polkit-1/actions/io.bootfleet.app.policy.tmp /usr/share/polkit-1/actions/io.bootfleet.app.policy
