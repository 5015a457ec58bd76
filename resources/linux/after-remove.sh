
# Bootfleet (appended to electron-builder's after-remove script by electron/build/linux-package.cjs).
# The flash helper's polkit action goes with the package, but not on an upgrade: rpm runs the old
# package's script (with 1) after the new package's after-install, and dpkg runs it with "upgrade".
case "${1:-remove}" in
  remove|purge|0) rm -f /usr/share/polkit-1/actions/io.bootfleet.app.policy ;;
esac
