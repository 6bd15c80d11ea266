#!/usr/bin/env python3
# A CPR-service stand-in for test_lookups.sh: HTTP/1.1 keep-alive with
# Content-Length, over TLS (--cert/--key) or plain.  GET /api/person/I
# answers with the I-th synthetic number of NUMBERS (cycling), so 1,500
# look-ups over 1,200 numbers view 1,200 distinct persons.  Prints the port.
import http.server
import ssl
import sys

numbers = [l.strip() for l in open(sys.argv[1]) if '-' in l]
cert = sys.argv[2] if len(sys.argv) > 3 else None
key = sys.argv[3] if len(sys.argv) > 3 else None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def do_GET(self):
        try:
            i = int(self.path.rsplit('/', 1)[1])
            body = ('{"name": "Test Person %d", "cpr": "%s"}\n'
                    % (i, numbers[i % len(numbers)])).encode()
            code = 200
        except (ValueError, IndexError):
            body, code = b'not found\n', 404
        self.send_response(code)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


srv = http.server.HTTPServer(('127.0.0.1', 0), Handler)
if cert:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print('port=%d' % srv.server_address[1], flush=True)
srv.serve_forever()
