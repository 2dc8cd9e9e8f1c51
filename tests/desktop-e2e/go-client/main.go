// An MCP client in Go (the official go-sdk, which Kagent's Go code uses), for test_go_client.py: it connects to
// the computer-control sidecar the way the SDK does by default (newest protocol revision first, then what the
// server speaks), lists the tools and makes the calls it reads as JSON from stdin, then prints what it saw as
// JSON on stdout.
//
//	go-client <mcp url> <bearer token> < calls.json
//
// calls.json: [{"name": "get_screen_size", "arguments": {}}, ...]
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type call struct {
	Name      string         `json:"name"`
	Arguments map[string]any `json:"arguments"`
}

type outcome struct {
	Name    string   `json:"name"`
	IsError bool     `json:"isError"`
	Content []string `json:"content"` // "text:<first 300 characters>" or "image:<MIME type>:<decoded bytes>"
	Err     string   `json:"error,omitempty"`
}

type report struct {
	ProtocolVersion string    `json:"protocolVersion"`
	ServerName      string    `json:"serverName"`
	Tools           []string  `json:"tools"`
	Calls           []outcome `json:"calls"`
}

// bearer adds the sidecar's Authorization header to every request of the transport.
type bearer struct{ token string }

func (b bearer) RoundTrip(request *http.Request) (*http.Response, error) {
	request = request.Clone(request.Context())
	request.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(request)
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: go-client <mcp url> <bearer token> < calls.json")
		os.Exit(2)
	}
	var calls []call
	if err := json.NewDecoder(os.Stdin).Decode(&calls); err != nil {
		fail("reading the calls from stdin: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	client := mcp.NewClient(&mcp.Implementation{Name: "persistent-agents-go-client", Version: "1"}, nil)
	transport := &mcp.StreamableClientTransport{
		Endpoint:   os.Args[1],
		HTTPClient: &http.Client{Transport: bearer{os.Args[2]}, Timeout: 2 * time.Minute},
		// The sidecar is stateless: it has nothing to push on a standalone stream (its GET /mcp is refused).
		DisableStandaloneSSE: true,
	}
	session, err := client.Connect(ctx, transport, nil)
	if err != nil {
		fail("connecting: %v", err)
	}
	defer session.Close()

	out := report{}
	if initialized := session.InitializeResult(); initialized != nil {
		out.ProtocolVersion = initialized.ProtocolVersion
		if initialized.ServerInfo != nil {
			out.ServerName = initialized.ServerInfo.Name
		}
	}
	tools, err := session.ListTools(ctx, nil)
	if err != nil {
		fail("listing tools: %v", err)
	}
	for _, tool := range tools.Tools {
		out.Tools = append(out.Tools, tool.Name)
	}
	for _, c := range calls {
		result, err := session.CallTool(ctx, &mcp.CallToolParams{Name: c.Name, Arguments: c.Arguments})
		seen := outcome{Name: c.Name}
		if err != nil {
			seen.Err = err.Error()
		} else {
			seen.IsError = result.IsError
			for _, content := range result.Content {
				switch block := content.(type) {
				case *mcp.TextContent:
					text := block.Text
					if len(text) > 300 {
						text = text[:300]
					}
					seen.Content = append(seen.Content, "text:"+text)
				case *mcp.ImageContent:
					seen.Content = append(seen.Content, fmt.Sprintf("image:%s:%d", block.MIMEType, len(block.Data)))
				default:
					seen.Content = append(seen.Content, fmt.Sprintf("other:%T", content))
				}
			}
		}
		out.Calls = append(out.Calls, seen)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail("writing the report: %v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "go-client: "+format+"\n", args...)
	os.Exit(1)
}
