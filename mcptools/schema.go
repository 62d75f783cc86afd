package mcptools

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// inputSchema returns the JSON Schema of a tool's argument struct T, with
// patch merged into the named properties: what depends on the server's
// configuration, such as get_job_output's default max_bytes (the server's
// cap) or what an omitted directory means.
//
// The SDK would infer a schema from T itself, but its inference cannot state
// defaults (its `jsonschema` tag is only a description), and the contract
// states every optional parameter's default (issue 16: a model reads the
// schema, not the docs), many of them not Go zero values (use_uv and
// markdown_output default to true, timeout_seconds to 300). With a
// "default" keyword in the schema the SDK fills absent arguments before
// decoding, so handlers see plain values and assistants see the defaults in
// tools/list. The rules match the SDK's: a field without omitempty (or
// omitzero) is required, and unknown arguments are rejected.
//
// Supported field types: string, bool, integers, float64 (or a pointer to
// one of them, for an argument whose absence means something else than its
// zero value: its type admits null, which is its default), []string,
// map[string]string, and structs (an object parameter, such as limits);
// embedded structs are flattened. Tags:
//
//	json:"name,omitempty"   the property name; omitempty = optional
//	jsonschema:"..."        the description
//	default:"..."           the default, parsed for the field's type (JSON for a slice, map or struct)
//	minimum:"0"             a numeric lower bound
//
// An argument type may add schema keywords of its own (such as anyOf, for
// "one of these is required") by implementing schemaExtender.
//
// A struct it cannot describe is a programming error: it panics, as does a
// patch of a property that T does not have or a default for one that is
// required.
func inputSchema[T any](patch map[string]map[string]any) json.RawMessage {
	t := reflect.TypeFor[T]()
	if t.Kind() != reflect.Struct {
		panic(fmt.Sprintf("mcptools: argument type %v is not a struct", t))
	}
	s := objectSchema(t)
	props := s["properties"].(map[string]any)
	for name, kw := range patch {
		p, ok := props[name].(map[string]any)
		if !ok {
			panic(fmt.Sprintf("mcptools: schema patch for %q, which %v has not", name, t))
		}
		if _, ok := kw["default"]; ok && slices.Contains(requiredOf(s), name) {
			panic(fmt.Sprintf("mcptools: a default for %q, which %v requires", name, t))
		}
		maps.Copy(p, kw)
	}
	if e, ok := reflect.Zero(t).Interface().(schemaExtender); ok {
		maps.Copy(s, e.schemaExtra())
	}
	b, err := json.Marshal(s)
	if err != nil {
		panic(fmt.Sprintf("mcptools: schema of %v: %v", t, err))
	}
	return b
}

func requiredOf(s map[string]any) []string {
	r, _ := s["required"].([]string)
	return r
}

// schemaExtender is an argument type with schema keywords beyond its
// fields', merged into its schema's top level.
type schemaExtender interface {
	schemaExtra() map[string]any
}

// objectSchema describes the struct t as a closed object.
func objectSchema(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	for _, f := range reflect.VisibleFields(t) {
		if f.Anonymous || !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			panic(fmt.Sprintf("mcptools: field %v.%s has no json name", t, f.Name))
		}
		p := propertySchema(t, f)
		props[name] = p
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
			if _, ok := p["default"]; ok {
				panic(fmt.Sprintf("mcptools: required field %v.%s has a default", t, f.Name))
			}
			required = append(required, name)
		}
	}
	s := map[string]any{
		"type":                 "object",
		"properties":           props,
		"additionalProperties": false,
	}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

func propertySchema(t reflect.Type, f reflect.StructField) map[string]any {
	var p map[string]any
	switch k := scalarKind(f.Type); {
	case k == reflect.String:
		p = map[string]any{"type": "string"}
	case k == reflect.Bool:
		p = map[string]any{"type": "boolean"}
	case k >= reflect.Int && k <= reflect.Int64:
		p = map[string]any{"type": "integer"}
	case k == reflect.Float64:
		p = map[string]any{"type": "number"}
	case k == reflect.Slice && f.Type.Elem().Kind() == reflect.String:
		p = map[string]any{"type": "array", "items": map[string]any{"type": "string"}}
	case k == reflect.Map && f.Type.Key().Kind() == reflect.String && f.Type.Elem().Kind() == reflect.String:
		p = map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}}
	case k == reflect.Struct && f.Type.Kind() == reflect.Struct:
		p = objectSchema(f.Type)
	default:
		panic(fmt.Sprintf("mcptools: field %v.%s has unsupported type %v", t, f.Name, f.Type))
	}
	if d, ok := f.Tag.Lookup("jsonschema"); ok {
		p["description"] = d
	}
	if f.Type.Kind() == reflect.Pointer {
		// Absent is not zero: null stands for absent, and is the default.
		p["type"] = []string{p["type"].(string), "null"}
		p["default"] = nil
	}
	if d, ok := f.Tag.Lookup("default"); ok {
		p["default"] = parseTagValue(t, f, d)
	}
	if m, ok := f.Tag.Lookup("minimum"); ok {
		p["minimum"] = parseTagValue(t, f, m)
	}
	return p
}

func parseTagValue(t reflect.Type, f reflect.StructField, s string) any {
	var (
		v   any
		err error
	)
	switch k := scalarKind(f.Type); {
	case k == reflect.String:
		v = s
	case k == reflect.Bool:
		v, err = strconv.ParseBool(s)
	case k >= reflect.Int && k <= reflect.Int64:
		v, err = strconv.ParseInt(s, 10, 64)
	case k == reflect.Float64:
		v, err = strconv.ParseFloat(s, 64)
	case k == reflect.Slice, k == reflect.Map, k == reflect.Struct:
		err = json.Unmarshal([]byte(s), &v)
	default:
		err = fmt.Errorf("no tag values for type %v", f.Type)
	}
	if err != nil {
		panic(fmt.Sprintf("mcptools: tag value %q of %v.%s: %v", s, t, f.Name, err))
	}
	return v
}

// scalarKind is the kind of a field's type, or of the type it points to.
func scalarKind(t reflect.Type) reflect.Kind {
	if t.Kind() == reflect.Pointer {
		switch k := t.Elem().Kind(); {
		case k == reflect.String, k == reflect.Bool, k >= reflect.Int && k <= reflect.Int64, k == reflect.Float64:
			return k
		}
	}
	return t.Kind()
}

// outputSchema returns the output schema of a tool whose result type is T:
// {"type": "object"}. T must be a struct (or a pointer to one), whose JSON
// is an object; anything else is a programming error and panics.
//
// Why no properties: the SDK's inference describes every field, nested
// ones too, with its type, description and required list; for the full
// server that was 13 KB of the 49 KB that tools/list costs a model in every
// conversation (issue 16), and the property names alone still cost 2.6 KB,
// more than the room left once the input schemas say what a model needs to
// call the tools. A model reads a result when it has one; most clients
// never show it an output schema. The fields are the JSON of the Go result
// types (RunResult, JobOutput, …), documented there and in the README. An
// open object also means the SDK's validation of structured content never
// refuses a result for a field added to its type.
func outputSchema[T any]() json.RawMessage {
	t := reflect.TypeFor[T]()
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		panic(fmt.Sprintf("mcptools: result type %v is not a struct", t))
	}
	return json.RawMessage(`{"type":"object"}`)
}
