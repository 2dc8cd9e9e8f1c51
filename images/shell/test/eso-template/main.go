// Renders one ExternalSecret template value the way External Secrets Operator's template engine v2
// does (runtime/template/v2 execute: text/template, missingkey=error, sprig's TxtFuncMap without env
// and expandenv), so tests check the templates we ship against the real engine's semantics.
//
// Input on stdin: {"template": "...", "data": {"key": "value", ...}}; the rendered value on stdout.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"text/template"

	"github.com/Masterminds/sprig/v3"
)

type request struct {
	Template string            `json:"template"`
	Data     map[string]string `json:"data"`
}

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fmt.Fprintf(os.Stderr, "reading the request from stdin: %v\n", err)
		os.Exit(2)
	}
	funcs := sprig.TxtFuncMap()
	delete(funcs, "env")
	delete(funcs, "expandenv")
	tpl, err := template.New("value").Option("missingkey=error").Funcs(funcs).Parse(req.Template)
	if err != nil {
		fmt.Fprintf(os.Stderr, "unable to parse template: %v\n", err)
		os.Exit(1)
	}
	var out bytes.Buffer
	if err := tpl.Execute(&out, req.Data); err != nil {
		fmt.Fprintf(os.Stderr, "unable to execute template: %v\n", err)
		os.Exit(1)
	}
	os.Stdout.Write(out.Bytes())
}
