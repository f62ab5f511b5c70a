# Sends one UDP datagram over IPv4 with a source address and port of the caller's choosing, through
# a raw socket (root only): how a test plays an attacker who forges where a datagram comes from.
# Usage: spoof_udp.py SRC_IP SRC_PORT DST_IP DST_PORT PAYLOAD_HEX
import socket
import struct
import sys

src, sport, dst, dport, payload_hex = sys.argv[1:6]
payload = bytes.fromhex(payload_hex)
# UDP checksum 0: none, which IPv4 allows.
udp = struct.pack("!HHHH", int(sport), int(dport), 8 + len(payload), 0) + payload
# IPPROTO_RAW implies IP_HDRINCL; Linux fills in the header checksum and the packet id.
header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, socket.IPPROTO_UDP, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW) as raw:
    raw.sendto(header + udp, (dst, 0))
