// Command go-oidc-oracle verifies bearer tokens exactly as Weaviate v1.38.11 does, with the
// go-oidc and go-jose versions that release pins, and prints one JSON verdict per token.
//
// It mirrors usecases/auth/authentication/oidc of Weaviate v1.38.11 (Client.Init and
// ValidateAndExtract): the provider is discovered at start (or, with -jwks-url, a remote key set
// is built from that URL), the verifier gets only ClientID and SkipClientIDCheck (so the signing
// algorithms are discovery's), and a verified token is then decoded into a generic map for the
// username and groups claims. Namespaces are off, as in Weaviate's default configuration.
//
// Protocol: after start it prints one line {"event":"ready",...} (or {"event":"error",...} and
// exits 1). Then it reads one token per line on stdin and answers one JSON line per token:
//
//	{"ok":true,"username":"admin@example.com","groups":["admins"]}
//	{"ok":false,"status":401,"message":"unauthorized: oidc: token is expired (Token Expiry: ...)"}
//
// With -base64 each input line is the token in standard base64, so that a token may hold any
// byte (a newline, invalid UTF-8); otherwise the line itself, without its newline, is the token.
// It exits 0 at the end of its input.
package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
)

type verdict struct {
	OK       bool     `json:"ok"`
	Status   int      `json:"status,omitempty"`
	Message  string   `json:"message,omitempty"`
	Username string   `json:"username,omitempty"`
	Groups   []string `json:"groups,omitempty"`
}

type settings struct {
	issuer, clientID, usernameClaim, groupsClaim, jwksURL string
	skipClientIDCheck                                     bool
}

// newVerifier is Weaviate's Client.Init without the custom HTTP client (no certificate here).
func newVerifier(s settings) (*oidc.IDTokenVerifier, error) {
	ctx := context.Background()
	cfg := &oidc.Config{ClientID: s.clientID, SkipClientIDCheck: s.skipClientIDCheck}
	if s.jwksURL != "" {
		return oidc.NewVerifier(s.issuer, oidc.NewRemoteKeySet(ctx, s.jwksURL), cfg), nil
	}
	provider, err := oidc.NewProvider(ctx, s.issuer)
	if err != nil {
		return nil, fmt.Errorf("could not setup provider: %w", err)
	}
	return provider.Verifier(cfg), nil
}

// check is Weaviate's ValidateAndExtract with namespaces off: 401 for go-oidc's refusals,
// 500 for the claim problems found after verification.
func check(v *oidc.IDTokenVerifier, s settings, token string) verdict {
	parsed, err := v.Verify(context.Background(), token)
	if err != nil {
		return verdict{Status: 401, Message: fmt.Sprintf("unauthorized: %v", err)}
	}
	var claims map[string]interface{}
	if err := parsed.Claims(&claims); err != nil {
		return verdict{Status: 500, Message: fmt.Sprintf("oidc: %v", fmt.Errorf("could not extract claims from token: %w", err))}
	}
	untyped, ok := claims[s.usernameClaim]
	if !ok {
		return verdict{Status: 500, Message: fmt.Sprintf("oidc: token doesn't contain required claim '%s'", s.usernameClaim)}
	}
	username, ok := untyped.(string)
	if !ok {
		return verdict{Status: 500, Message: fmt.Sprintf("oidc: claim '%s' is not a string, but %T", s.usernameClaim, untyped)}
	}
	return verdict{OK: true, Username: username, Groups: groups(claims, s.groupsClaim)}
}

// groups is Weaviate's extractGroups: string elements of an array, or one string, else none.
func groups(claims map[string]interface{}, name string) []string {
	var out []string
	untyped, ok := claims[name]
	if !ok {
		return out
	}
	list, ok := untyped.([]interface{})
	if !ok {
		if one, ok := untyped.(string); ok {
			return []string{one}
		}
		return out
	}
	for _, g := range list {
		if s, ok := g.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// versions reports the go-oidc and go-jose versions compiled in, so a caller can check the pins.
func versions() map[string]string {
	out := map[string]string{}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return out
	}
	out["go"] = info.GoVersion
	for _, dep := range info.Deps {
		switch dep.Path {
		case "github.com/coreos/go-oidc/v3", "github.com/go-jose/go-jose/v4":
			out[dep.Path] = dep.Version
		}
	}
	return out
}

func main() {
	var s settings
	var b64 bool
	flag.StringVar(&s.issuer, "issuer", "", "AUTHENTICATION_OIDC_ISSUER")
	flag.StringVar(&s.clientID, "client-id", "", "AUTHENTICATION_OIDC_CLIENT_ID")
	flag.BoolVar(&s.skipClientIDCheck, "skip-client-id-check", false, "AUTHENTICATION_OIDC_SKIP_CLIENT_ID_CHECK")
	flag.StringVar(&s.usernameClaim, "username-claim", "sub", "AUTHENTICATION_OIDC_USERNAME_CLAIM")
	flag.StringVar(&s.groupsClaim, "groups-claim", "", "AUTHENTICATION_OIDC_GROUPS_CLAIM")
	flag.StringVar(&s.jwksURL, "jwks-url", "", "AUTHENTICATION_OIDC_JWKS_URL (skips discovery)")
	flag.BoolVar(&b64, "base64", false, "each input line is the token in standard base64")
	flag.Parse()

	out := json.NewEncoder(os.Stdout)
	out.SetEscapeHTML(false)
	if s.issuer == "" {
		_ = out.Encode(map[string]string{"event": "error", "error": "-issuer is required"})
		os.Exit(2)
	}
	v, err := newVerifier(s)
	if err != nil {
		_ = out.Encode(map[string]string{"event": "error", "error": fmt.Sprintf("oidc init: %v", err)})
		os.Exit(1)
	}
	_ = out.Encode(map[string]interface{}{"event": "ready", "versions": versions()})

	in := bufio.NewReader(os.Stdin)
	for {
		line, err := in.ReadString('\n')
		if err != nil && (err != io.EOF || line == "") {
			return
		}
		line = strings.TrimSuffix(line, "\n")
		token := line
		if b64 {
			raw, derr := base64.StdEncoding.DecodeString(strings.TrimSuffix(line, "\r"))
			if derr != nil {
				_ = out.Encode(map[string]string{"event": "error", "error": fmt.Sprintf("input line is not base64: %v", derr)})
				continue
			}
			token = string(raw)
		}
		if encErr := out.Encode(check(v, s, token)); encErr != nil {
			return
		}
	}
}
