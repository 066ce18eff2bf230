#!/usr/bin/env bash
# Runs PAYLOAD_DIR/run.sh on an emulated AVX-512 CPU: Bochs 2.7 (Debian) with its Skylake-X model boots Debian's
# own kernel with a busybox initramfs; the payload is mounted at /p; the guest powers off when run.sh ends.
#   run-bochs.sh WORKDIR PAYLOAD_DIR        (root: installs bochs and downloads the kernel package on first use)
# Guest output: WORKDIR/serial.txt, printed at the end. Exit 0 when run.sh exited 0 in the guest.
# Bounded: BOCHS_TIMEOUT seconds (default 600); on a time-out the serial log and the end of bochs.log are printed.
#
# Derived from shared/tools/avx512-bochs/run-avx512.sh with one change of substance: Bochs' only display here is
# the curses "term" one, which needs a terminal; that script gave it one with script(1), and on an Intel CI host
# bochs-bin blocked writing to the pty (n_tty_write) while script sat in poll, until the 25-minute time-out.
# Here eng/avx512/ptyrun.c owns the pty: it drains it continuously, never writes to it, turns flow control off, and
# kills the process group at the deadline. Panics are fatal (Bochs' default is to ask on the terminal, which
# nobody reads in CI).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
W=$(realpath -m "$1"); P=$(realpath "$2"); mkdir -p "$W"; cd "$W"
limit=${BOCHS_TIMEOUT:-600}

if ! command -v bochs-bin >/dev/null || ! command -v genisoimage >/dev/null || [ ! -f /usr/lib/ISOLINUX/isolinux.bin ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bochs bochs-term bochsbios vgabios isolinux syslinux-common \
    genisoimage cpio >/dev/null
fi
gcc -O2 -o ptyrun "$here/ptyrun.c" -lutil
if [ ! -f vmlinuz ] || [ ! -x bbx/bin/busybox ]; then
  KPKG=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ && !n++ {print $2}')
  if [ -z "$KPKG" ]; then apt-get update -qq; KPKG=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ && !n++ {print $2}'); fi
  apt-get download "$KPKG" busybox-static 2>/dev/null
  rm -rf boot && dpkg-deb --fsys-tarfile "${KPKG}"_*.deb | tar -x --wildcards './boot/vmlinuz-*'
  mv boot/vmlinuz-* vmlinuz
  dpkg-deb -x busybox-static_*.deb bbx
fi

rm -rf rootfs iso && mkdir -p rootfs/{bin,proc,sys,dev,tmp,lib64,lib/x86_64-linux-gnu,p} iso/isolinux
cp bbx/bin/busybox rootfs/bin/
for a in sh mount cat grep echo poweroff ls head tail uname sleep cut tr sort; do ln -s busybox rootfs/bin/$a; done
cp /lib64/ld-linux-x86-64.so.2 rootfs/lib64/
for l in libc.so.6 libm.so.6 libdl.so.2 libpthread.so.0 librt.so.1 libgcc_s.so.1 libstdc++.so.6 libssl.so.3 libcrypto.so.3; do
  [ -f /usr/lib/x86_64-linux-gnu/$l ] && cp /usr/lib/x86_64-linux-gnu/$l rootfs/lib/x86_64-linux-gnu/
done
cp -r "$P"/. rootfs/p/
cat > rootfs/init <<'INIT'
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
echo "=== guest: $(uname -r); avx512 flags: $(grep -o -w 'avx512[a-z]*' /proc/cpuinfo | sort -u | tr '\n' ' ')"
export HOME=/tmp DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
cd /p && sh ./run.sh; echo "=== run.sh rc=$?"
poweroff -f
INIT
chmod +x rootfs/init
(cd rootfs && find . | cpio -o -H newc 2>/dev/null) > iso/initrd      # uncompressed: no gunzip under emulation
cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 iso/isolinux/
cp vmlinuz iso/vmlinuz
# clearcpuid=xsaves,xsavec: Bochs 2.7 reports the standard (not compacted) XSAVE size, which makes Linux disable
# XSAVE (and with it all AVX); nopku/pku: Bochs reports PKRU in XCR0 with size 0.
cat > iso/isolinux/isolinux.cfg <<'CFG'
DEFAULT linux
PROMPT 0
TIMEOUT 0
LABEL linux
  KERNEL /vmlinuz
  APPEND initrd=/initrd console=ttyS0,115200 earlyprintk=serial,ttyS0,115200 rdinit=/init loglevel=4 nokaslr lpj=1000000 tsc=reliable mitigations=off nosmp nopku clearcpuid=xsaves,xsavec,pku lsm=capability audit=0 noresume nomodeset
CFG
genisoimage -quiet -o boot.iso -b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table -J -R iso

cat > bochsrc <<'RC'
megs: 1024
cpu: model=corei7_skylake_x, count=1, ips=200000000, reset_on_triple_fault=1
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
ata0-master: type=cdrom, path=boot.iso, status=inserted
boot: cdrom
display_library: term
com1: enabled=1, mode=file, dev=serial.txt
log: bochs.log
panic: action=fatal
error: action=report
info: action=ignore
debug: action=ignore
clock: sync=none, time0=local
mouse: enabled=0
speaker: enabled=0
sound: driver=dummy
RC
printf 'c\nquit\n' > dbg.rc        # Debian's bochs has the debugger built in and stops at the first instruction
rm -f serial.txt bochs.log
rc=0
./ptyrun "$limit" bochs.stdout bochs-bin -q -f bochsrc -rc dbg.rc < /dev/null || rc=$?
if [ "$rc" = 124 ]; then
  echo "run-bochs: the guest did not finish within $limit s (BOCHS_TIMEOUT); its serial log so far:"
  cat serial.txt 2>/dev/null || echo "(no serial output)"
  echo "--- end of bochs.log:"; tail -n 20 bochs.log 2>/dev/null || true
  exit 124
fi
sed -n '/^=== guest/,$p' serial.txt
if ! grep -q '=== run.sh rc=0' serial.txt; then
  echo "run-bochs: run.sh did not succeed in the guest (bochs exit $rc); end of bochs.log:"; tail -n 20 bochs.log 2>/dev/null || true
  exit 1
fi
