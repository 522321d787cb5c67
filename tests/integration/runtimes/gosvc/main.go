// SPDX-License-Identifier: MIT
// The 3-service chain of tests/integration/services/svc.py in Go, standard
// library only (net/http server, http.Client with keep-alive pools), for
// the goroutine-causality test. Unmodified as far as tracing goes: it never
// reads or writes a traceparent.
//
//	users    GET /users?rid=N   -> {"user": N}
//	orders   GET /orders?rid=N  -> calls users, then answers
//	gateway  GET /api?rid=N     -> calls users, then orders (-fanout: both at
//	                               once, each from a goroutine of its own)
//
// -tls-cert/-tls-key serve HTTPS; -down-tls calls downstreams over HTTPS
// (certificate not verified). Prints "ready" once listening.
package main

import (
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

var (
	role    = flag.String("role", "", "users, orders or gateway")
	addr    = flag.String("listen", "127.0.0.1:0", "address to serve on")
	downs   = flag.String("down", "", "NAME=HOST:PORT,... downstream services")
	fanout  = flag.Bool("fanout", false, "gateway: call users and orders at once")
	cert    = flag.String("tls-cert", "", "serve HTTPS with this certificate")
	key     = flag.String("tls-key", "", "and this key")
	downTLS = flag.Bool("down-tls", false, "call downstreams over HTTPS")
)

var client *http.Client
var downstream = map[string]string{}

func call(name, path string) (int, []byte, error) {
	scheme := "http"
	if *downTLS {
		scheme = "https"
	}
	resp, err := client.Get(scheme + "://" + downstream[name] + path)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func reply(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

func handle(w http.ResponseWriter, r *http.Request) {
	rid := r.URL.Query().Get("rid")
	switch {
	case *role == "users" && r.URL.Path == "/users":
		reply(w, 200, map[string]string{"user": rid})
	case *role == "orders" && r.URL.Path == "/orders":
		st, b, err := call("users", "/users?rid="+rid)
		if err != nil || st != 200 {
			reply(w, 502, map[string]string{"error": fmt.Sprint(st, err)})
			return
		}
		reply(w, 200, map[string]any{"orders": []string{rid}, "user": json.RawMessage(b)})
	case *role == "gateway" && r.URL.Path == "/api":
		var st [2]int
		var body [2][]byte
		var errs [2]error
		paths := [2][2]string{{"users", "/users?rid=" + rid}, {"orders", "/orders?rid=" + rid}}
		if *fanout {
			var wg sync.WaitGroup
			for i := range paths {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					st[i], body[i], errs[i] = call(paths[i][0], paths[i][1])
				}(i)
			}
			wg.Wait()
		} else {
			for i := range paths {
				st[i], body[i], errs[i] = call(paths[i][0], paths[i][1])
			}
		}
		for i := range st {
			if errs[i] != nil || st[i] != 200 {
				reply(w, 502, map[string]string{"error": fmt.Sprint(st[i], errs[i])})
				return
			}
		}
		reply(w, 200, map[string]any{"rid": rid, "user": json.RawMessage(body[0]),
			"orders": json.RawMessage(body[1])})
	default:
		reply(w, 404, map[string]string{"error": "no such path"})
	}
}

func main() {
	flag.Parse()
	for _, d := range strings.Split(*downs, ",") {
		if name, hp, ok := strings.Cut(d, "="); ok {
			downstream[name] = hp
		}
	}
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute,
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	client = &http.Client{Transport: tr, Timeout: 20 * time.Second}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(2)
	}
	srv := &http.Server{Handler: http.HandlerFunc(handle)}
	fmt.Println("ready", ln.Addr())
	if *cert != "" {
		err = srv.ServeTLS(ln, *cert, *key)
	} else {
		err = srv.Serve(ln)
	}
	fmt.Fprintln(os.Stderr, "serve:", err)
	os.Exit(1)
}
