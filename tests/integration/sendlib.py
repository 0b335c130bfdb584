"""sendlib: what the integration senders share (hostile.py, roundtrip.py)."""
import socket


def tcp(port, data):
    """Send data on one connection to 127.0.0.1:port, half-close, and wait
    until the daemon closes: everything sent has been read."""
    s = socket.create_connection(('127.0.0.1', port))
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    s.recv(1)
    s.close()


def octet(b):
    """b as one RFC 6587 octet-counted frame."""
    return str(len(b)).encode() + b' ' + b
