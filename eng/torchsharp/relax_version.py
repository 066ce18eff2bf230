"""Rewrites one version requirement (verneed entry) of an ELF shared library in place: OLD -> NEW, same length.

Used by eng/torchsharp/patch.sh on a copy of TorchSharp's libLibTorchSharp.so in a build output: its only
GLIBCXX_3.4.32 symbol (std::ios_base_library_init) has its version cleared by patchelf and comes from a shim;
the now unused requirement on GLIBCXX_3.4.32 is renamed to GLIBCXX_3.4.30, which Debian 12's libstdc++ defines.
usage: relax_version.py LIBRARY OLD NEW
"""
import struct, sys
def elf_hash(name):
    h = 0
    for c in name.encode():
        h = ((h << 4) + c) & 0xffffffff
        g = h & 0xf0000000
        if g: h ^= g >> 24
        h &= ~g & 0xffffffff
    return h
path, old, new = sys.argv[1], sys.argv[2], sys.argv[3]
assert len(old) == len(new)
data = bytearray(open(path, 'rb').read())
assert data[:4] == b'\x7fELF' and data[4] == 2
e_shoff, = struct.unpack_from('<Q', data, 0x28); e_shentsize, e_shnum, e_shstrndx = struct.unpack_from('<HHH', data, 0x3a)
secs = [struct.unpack_from('<IIQQQQIIQQ', data, e_shoff + i * e_shentsize) for i in range(e_shnum)]
SHT_GNU_verneed = 0x6ffffffe
vr = [s for s in secs if s[1] == SHT_GNU_verneed][0]
strtab = secs[vr[6]]  # sh_link -> .dynstr
stroff = strtab[4]
def cstr(off):
    end = data.index(b'\0', stroff + off); return data[stroff + off:end].decode()
off = vr[4]; done = 0
for _ in range(vr[8]):  # sh_info = number of Verneed entries
    vn_version, vn_cnt, vn_file, vn_aux, vn_next = struct.unpack_from('<HHIII', data, off)
    a = off + vn_aux
    for _ in range(vn_cnt):
        vna_hash, vna_flags, vna_other, vna_name, vna_next = struct.unpack_from('<IHHII', data, a)
        if cstr(vna_name) == old:
            data[stroff + vna_name: stroff + vna_name + len(new)] = new.encode()
            struct.pack_into('<I', data, a, elf_hash(new)); done += 1
        a += vna_next
    off += vn_next
assert done, f'{old} not required by {path}'
open(path, 'wb').write(data)
print(f'{path}: requirement {old} -> {new} ({done} entry)')
