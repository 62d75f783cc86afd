package mcptools

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// inputSchema returns the JSON Schema of a tool's argument struct T.
//
// The SDK would infer a schema from T itself, but its inference cannot state
// defaults (its `jsonschema` tag is only a description), and the contract has
// defaults that are not Go zero values (use_uv and markdown_output default to
// true, timeout_seconds to 300). With a "default" keyword in the schema the
// SDK fills absent arguments before decoding, so handlers see plain values and
// assistants see the defaults in tools/list. The rules match the SDK's: a
// field without omitempty is required, and unknown arguments are rejected.
//
// Supported field types: string, bool, integers, float64 (or a pointer to
// one of them, for an argument whose absence means something else than its
// zero value), []string and map[string]string; embedded structs are
// flattened. Tags:
//
//	json:"name,omitempty"   the property name; omitempty = optional
//	jsonschema:"..."        the description
//	default:"..."           the default, parsed for the field's type
//	minimum:"0"             a numeric lower bound
//
// A struct it cannot describe is a programming error: it panics.
func inputSchema[T any]() json.RawMessage {
	t := reflect.TypeFor[T]()
	if t.Kind() != reflect.Struct {
		panic(fmt.Sprintf("mcptools: argument type %v is not a struct", t))
	}
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
	b, err := json.Marshal(s)
	if err != nil {
		panic(fmt.Sprintf("mcptools: schema of %v: %v", t, err))
	}
	return b
}

func propertySchema(t reflect.Type, f reflect.StructField) map[string]any {
	p := map[string]any{}
	switch k := scalarKind(f.Type); {
	case k == reflect.String:
		p["type"] = "string"
	case k == reflect.Bool:
		p["type"] = "boolean"
	case k >= reflect.Int && k <= reflect.Int64:
		p["type"] = "integer"
	case k == reflect.Float64:
		p["type"] = "number"
	case k == reflect.Slice && f.Type.Elem().Kind() == reflect.String:
		p["type"] = "array"
		p["items"] = map[string]any{"type": "string"}
	case k == reflect.Map && f.Type.Key().Kind() == reflect.String && f.Type.Elem().Kind() == reflect.String:
		p["type"] = "object"
		p["additionalProperties"] = map[string]any{"type": "string"}
	default:
		panic(fmt.Sprintf("mcptools: field %v.%s has unsupported type %v", t, f.Name, f.Type))
	}
	if d, ok := f.Tag.Lookup("jsonschema"); ok {
		p["description"] = d
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
