# A TCP server and client on 127.0.0.1: connect, send two bytes, close.
import socket

server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(1)
client = socket.create_connection(server.getsockname())
accepted, _ = server.accept()
client.sendall(b"hi")
accepted.recv(2)
client.close()
accepted.close()
server.close()
