// Command weaviate_go drives the official Go Weaviate client (weaviate-go-client v5) through a
// list of actions, for the conformance suite.
//
// Input: one JSON document, from the file named by the first argument or from stdin, with the
// shape weaviate_py.py reads (connection, credential, actions), or several as
// {"sessions": [doc, ...]}, played one after the other in this process, each with its own client.
// Output: one JSON document on stdout, {"client": "go", "client_version": "...", "results": [...]}
// (or "sessions": [{"results": [...]}, ...]), one result per action:
// {action, ok, error_class, status, grpc_code, message, value, warnings}.
//
// Every error is data: the exit status is 0 unless the input is unusable (2). Go has no exception
// classes, so `error_class` is the error's dynamic type as `%T` prints it (what `errors.As`
// matches on), e.g. `*fault.WeaviateClientError`; `cause_class` is the innermost wrapped error's
// type. `status` is the HTTP status a `*fault.WeaviateClientError` or an `*oauth2.RetrieveError`
// carries, else the numeric gRPC code; `grpc_code` is the gRPC status name found in the chain.
// `warnings` are the lines the client logged (`log` package) during the action. Classes made by
// the driver carry "synthetic": true: DriverNotConnected, BatchObjectErrors, DriverUnknownAction.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/url"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/weaviate/weaviate-go-client/v5/weaviate"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/auth"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/fault"
	wvgrpc "github.com/weaviate/weaviate-go-client/v5/weaviate/grpc"
	"github.com/weaviate/weaviate/entities/models"
	"golang.org/x/oauth2"
	"google.golang.org/grpc/status"
)

const clientModule = "github.com/weaviate/weaviate-go-client/v5"

type connection struct {
	RestURL        string         `json:"rest_url"`
	GRPC           string         `json:"grpc"`
	GRPCSecure     bool           `json:"grpc_secure"`
	SkipInitChecks bool           `json:"skip_init_checks"`
	Timeouts       map[string]int `json:"timeouts"`
}

type credential struct {
	Kind         string   `json:"kind"`
	Key          string   `json:"key"`
	AccessToken  string   `json:"access_token"`
	RefreshToken *string  `json:"refresh_token"`
	ExpiresIn    *uint    `json:"expires_in"`
	Username     string   `json:"username"`
	Password     string   `json:"password"`
	ClientSecret string   `json:"client_secret"`
	Scopes       []string `json:"scopes"`
}

type action struct {
	Action     string         `json:"action"`
	Name       string         `json:"name"`
	Collection string         `json:"collection"`
	Properties map[string]any `json:"properties"`
	N          *int           `json:"n"`
	Limit      *int           `json:"limit"`
	Seconds    *float64       `json:"seconds"`
}

type session struct {
	Connection *connection `json:"connection"`
	Credential *credential `json:"credential"`
	Actions    []action    `json:"actions"`
}

type result = map[string]any

func failInput(why string) {
	fmt.Fprintf(os.Stderr, "weaviate_go: unusable input: %s\n", why)
	os.Exit(2)
}

func readInput() (sessions []session, batched bool) {
	var data []byte
	var err error
	if len(os.Args) > 1 && os.Args[1] != "-" {
		data, err = os.ReadFile(os.Args[1])
	} else {
		data, err = io.ReadAll(os.Stdin)
	}
	if err != nil {
		failInput(err.Error())
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		failInput(err.Error())
	}
	if raw, ok := probe["sessions"]; ok {
		if err := json.Unmarshal(raw, &sessions); err != nil {
			failInput("`sessions` must be a list of session objects: " + err.Error())
		}
		batched = true
	} else {
		var one session
		if err := json.Unmarshal(data, &one); err != nil {
			failInput(err.Error())
		}
		sessions = []session{one}
	}
	for _, s := range sessions {
		if s.Connection == nil {
			failInput("expected an object with a `connection` object")
		}
	}
	return sessions, batched
}

func clientVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == clientModule {
				return strings.TrimPrefix(dep.Version, "v")
			}
		}
	}
	return ""
}

func seconds(m map[string]int, key string, def int) time.Duration {
	if v, ok := m[key]; ok {
		return time.Duration(v) * time.Second
	}
	return time.Duration(def) * time.Second
}

func authConfig(c *credential) auth.Config {
	if c == nil {
		return nil
	}
	switch c.Kind {
	case "", "none":
		return nil
	case "api_key":
		return auth.ApiKey{Value: c.Key}
	case "bearer":
		bt := auth.BearerToken{AccessToken: c.AccessToken, ExpiresIn: 60}
		if c.ExpiresIn != nil {
			bt.ExpiresIn = *c.ExpiresIn
		}
		if c.RefreshToken != nil {
			bt.RefreshToken = *c.RefreshToken
		}
		return bt
	case "password":
		return auth.ResourceOwnerPasswordFlow{Username: c.Username, Password: c.Password, Scopes: c.Scopes}
	case "client_credentials":
		return auth.ClientCredentials{ClientSecret: c.ClientSecret, Scopes: c.Scopes}
	default:
		failInput(fmt.Sprintf("unknown credential kind %q", c.Kind))
		return nil
	}
}

func config(s session) weaviate.Config {
	rest, err := url.Parse(s.Connection.RestURL)
	if err != nil || (rest.Scheme != "http" && rest.Scheme != "https") || rest.Host == "" {
		failInput("connection.rest_url must be an http(s) URL")
	}
	if _, _, err := net.SplitHostPort(s.Connection.GRPC); err != nil {
		failInput(fmt.Sprintf("connection.grpc must be host:port, got %q", s.Connection.GRPC))
	}
	cfg := weaviate.Config{
		Host:       rest.Host,
		Scheme:     rest.Scheme,
		AuthConfig: authConfig(s.Credential),
		GrpcConfig: &wvgrpc.Config{Host: s.Connection.GRPC, Secured: s.Connection.GRPCSecure},
		Timeout:    seconds(s.Connection.Timeouts, "query", 30),
	}
	// The Go client's init checks are the readiness wait and the gRPC health check, both bounded
	// by StartupTimeout; zero turns both off.
	if !s.Connection.SkipInitChecks {
		cfg.StartupTimeout = seconds(s.Connection.Timeouts, "init", 10)
	}
	return cfg
}

// typeName is the error's dynamic type as Go prints it, without the module path.
func typeName(err error) string {
	return fmt.Sprintf("%T", err)
}

func innermost(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

func describe(err error) result {
	r := result{"ok": false, "error_class": typeName(err), "status": nil, "grpc_code": nil, "message": err.Error()}
	var wce *fault.WeaviateClientError
	var re *oauth2.RetrieveError
	if errors.As(err, &wce) {
		if wce.StatusCode > 0 {
			r["status"] = wce.StatusCode
		}
		if wce.DerivedFromError != nil {
			r["cause_class"] = typeName(innermost(wce.DerivedFromError))
		}
	} else if errors.As(err, &re) && re.Response != nil {
		r["status"] = re.Response.StatusCode
	}
	if inner := innermost(err); inner != err {
		r["cause_class"] = typeName(inner)
	}
	var g interface{ GRPCStatus() *status.Status }
	if errors.As(err, &g) {
		code := g.GRPCStatus().Code()
		r["grpc_code"] = strings.ToUpper(snake(code.String()))
		if r["status"] == nil {
			r["status"] = int(code)
		}
	}
	return r
}

// snake turns gRPC's code names (PermissionDenied) into the wire names (PERMISSION_DENIED).
func snake(s string) string {
	var b strings.Builder
	for i, c := range s {
		if i > 0 && c >= 'A' && c <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func synthetic(class, message string) result {
	return result{"ok": false, "error_class": class, "synthetic": true, "status": nil, "grpc_code": nil, "message": message}
}

// canonical is each object's properties without unset values, whole numbers as integers,
// sorted by their JSON text: the shape the other drivers print.
func canonical(props []map[string]any) []map[string]any {
	out := make([]map[string]any, 0, len(props))
	for _, p := range props {
		clean := map[string]any{}
		for k, v := range p {
			switch x := v.(type) {
			case nil:
				continue
			case float64:
				if x == float64(int64(x)) {
					clean[k] = int64(x)
					continue
				}
			}
			clean[k] = v
		}
		out = append(out, clean)
	}
	sort.Slice(out, func(i, j int) bool {
		a, _ := json.Marshal(out[i])
		b, _ := json.Marshal(out[j])
		return string(a) < string(b)
	})
	return out
}

type driver struct {
	session session
	client  *weaviate.Client
}

func (d *driver) run(ctx context.Context, a action) (result, error) {
	if a.Action == "connect" {
		c, err := weaviate.NewClient(config(d.session))
		if err != nil {
			return nil, err
		}
		d.client = c
		return result{"value": nil}, nil
	}
	if a.Action == "wait" {
		if a.Seconds == nil || *a.Seconds < 0 {
			failInput("wait needs seconds")
		}
		time.Sleep(time.Duration(*a.Seconds * float64(time.Second)))
		return result{"value": nil}, nil
	}
	c := d.client
	if c == nil {
		return synthetic("DriverNotConnected", "no successful connect before this action"), nil
	}
	coll := a.Collection
	switch a.Action {
	case "is_ready":
		ready, err := c.Misc().ReadyChecker().Do(ctx)
		return result{"value": ready}, err
	case "meta":
		meta, err := c.Misc().MetaGetter().Do(ctx)
		if err != nil {
			return nil, err
		}
		return result{"value": meta.Version}, nil
	case "own_info":
		user, err := c.Users().MyUserGetter().Do(ctx)
		if err != nil {
			return nil, err
		}
		return result{"value": user.UserID}, nil
	case "create_collection":
		err := c.Schema().ClassCreator().WithClass(&models.Class{Class: a.Name}).Do(ctx)
		return result{"value": a.Name}, err
	case "delete_collection":
		name := a.Name
		if name == "" {
			name = coll
		}
		return result{"value": nil}, c.Schema().ClassDeleter().WithClassName(name).Do(ctx)
	case "insert":
		props := a.Properties
		if props == nil {
			props = map[string]any{}
		}
		obj, err := c.Data().Creator().WithClassName(coll).WithProperties(props).Do(ctx)
		if err != nil {
			return nil, err
		}
		return result{"value": string(obj.Object.ID)}, nil
	case "query":
		// gRPC Search, the client's only gRPC query (Experimental().Search()).
		limit := 100
		if a.Limit != nil {
			limit = *a.Limit
		}
		res, err := c.Experimental().Search().WithCollection(coll).WithLimit(limit).Do(ctx)
		if err != nil {
			return nil, err
		}
		return result{"value": len(res)}, nil
	case "fetch":
		// REST list of the collection's objects.
		objs, err := c.Data().ObjectsGetter().WithClassName(coll).WithLimit(100).Do(ctx)
		if err != nil {
			return nil, err
		}
		props := make([]map[string]any, 0, len(objs))
		for _, o := range objs {
			p, _ := o.Properties.(map[string]any)
			props = append(props, p)
		}
		return result{"value": canonical(props)}, nil
	case "batch_insert":
		n := 1
		if a.N != nil {
			n = *a.N
		}
		objs := make([]*models.Object, n)
		for i := range objs {
			objs[i] = &models.Object{Class: coll, Properties: map[string]any{"n": i}}
		}
		res, err := c.Batch().ObjectsBatcher().WithObjects(objs...).Do(ctx)
		if err != nil {
			return nil, err
		}
		var first string
		failed := 0
		for _, r := range res {
			if r.Result != nil && r.Result.Errors != nil && len(r.Result.Errors.Error) > 0 {
				if failed == 0 {
					first = r.Result.Errors.Error[0].Message
				}
				failed++
			}
		}
		if failed > 0 {
			out := synthetic("BatchObjectErrors", first)
			out["value"] = failed
			return out, nil
		}
		return result{"value": len(res)}, nil
	default:
		return synthetic("DriverUnknownAction", fmt.Sprintf("unknown action %q", a.Action)), nil
	}
}

func runSession(s session, logs *bytes.Buffer) []result {
	d := &driver{session: s}
	results := make([]result, 0, len(s.Actions))
	for _, a := range s.Actions {
		logs.Reset()
		entry := result{"action": a.Action, "ok": true, "error_class": nil, "status": nil, "grpc_code": nil, "message": nil}
		ctx, cancel := context.WithTimeout(context.Background(), seconds(s.Connection.Timeouts, "insert", 90))
		out, err := d.run(ctx, a)
		cancel()
		if err != nil {
			out = describe(err)
		}
		for k, v := range out {
			entry[k] = v
		}
		warnings := []string{}
		for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			if line != "" {
				warnings = append(warnings, line)
			}
		}
		entry["warnings"] = warnings
		results = append(results, entry)
	}
	return results
}

func main() {
	sessions, batched := readInput()
	// The client logs through the standard logger; keep those lines as each action's warnings.
	var logs bytes.Buffer
	log.SetOutput(&logs)
	log.SetFlags(0)
	out := map[string]any{"client": "go", "client_version": clientVersion()}
	if batched {
		all := make([]map[string]any, 0, len(sessions))
		for _, s := range sessions {
			all = append(all, map[string]any{"results": runSession(s, &logs)})
		}
		out["sessions"] = all
	} else {
		out["results"] = runSession(sessions[0], &logs)
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(os.Stderr, "weaviate_go: writing the output: %v\n", err)
		os.Exit(1)
	}
}
