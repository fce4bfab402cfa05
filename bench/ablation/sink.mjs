import http from 'node:http';
http.createServer((req, res) => { req.resume(); req.on('end', () => { res.setHeader('content-type','application/json'); res.end('{}'); }); }).listen(4319, '127.0.0.1');
