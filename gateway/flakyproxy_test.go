package gateway

import (
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"
)

// flakyProxy carries TCP connections to a server (the soak's PostgreSQL)
// and can make it unreachable for a while: cut closes every connection
// it carries, and until it ends every new one is closed on arrival, as a
// database restart or a network partition does.
type flakyProxy struct {
	ln    net.Listener
	to    string
	wg    sync.WaitGroup
	mu    sync.Mutex
	down  bool
	conns map[net.Conn]bool
	cuts  []window // when it was down
}

// window is a span of time.
type window struct{ from, to time.Time }

// startFlakyProxy proxies the host of the PostgreSQL URL dsn and returns
// the proxy and dsn through it.
func startFlakyProxy(t *testing.T, dsn string) (*flakyProxy, string) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		t.Fatalf("the soak needs a postgres:// URL DSN: %q", dsn)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &flakyProxy{ln: ln, to: u.Host, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.closeAll()
		p.wg.Wait()
	})
	u.Host = ln.Addr().String()
	return p, u.String()
}

func (p *flakyProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c] = true
		p.mu.Unlock()
		p.wg.Add(1)
		go p.carry(c)
	}
}

// carry copies one connection both ways until either side closes.
func (p *flakyProxy) carry(c net.Conn) {
	defer p.wg.Done()
	defer func() {
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
		c.Close()
	}()
	s, err := net.DialTimeout("tcp", p.to, time.Second)
	if err != nil {
		return
	}
	p.mu.Lock()
	p.conns[s] = true
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.conns, s)
		p.mu.Unlock()
		s.Close()
	}()
	done := make(chan struct{}, 2)
	go func() { io.Copy(s, c); s.Close(); done <- struct{}{} }()
	go func() { io.Copy(c, s); c.Close(); done <- struct{}{} }()
	<-done
	<-done
}

func (p *flakyProxy) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
}

// cut makes the server unreachable for d.
func (p *flakyProxy) cut(d time.Duration) {
	p.mu.Lock()
	p.down = true
	from := time.Now()
	p.mu.Unlock()
	p.closeAll()
	time.Sleep(d)
	p.mu.Lock()
	p.down = false
	p.cuts = append(p.cuts, window{from, time.Now()})
	p.mu.Unlock()
}

// after says how long after the server was last unreachable (its cut
// ended) w began: 0 when it was unreachable at some time in w, -1 when
// it never was before w ended.
func (p *flakyProxy) after(w window) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	late := time.Duration(-1)
	for _, c := range p.cuts {
		switch {
		case c.from.Before(w.to) && c.to.After(w.from):
			return 0
		case c.to.Before(w.from) && (late < 0 || w.from.Sub(c.to) < late):
			late = w.from.Sub(c.to)
		}
	}
	return late
}
