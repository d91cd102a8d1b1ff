package sim

import (
	"math"
	"reflect"
)

// sameValue is the default equality of the codec round-trip check: a
// structural comparison like reflect.DeepEqual, except that a nil slice or
// map equals an empty one (codecs commonly decode either as the other) and
// floats compare by bits (a NaN round-trips as itself). A type with an
// exported method Equal(T) bool at the top level is compared with it.
func sameValue(a, b any) bool {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if !va.IsValid() || !vb.IsValid() {
		return va.IsValid() == vb.IsValid()
	}
	if va.Type() != vb.Type() {
		return false
	}
	if m := va.MethodByName("Equal"); m.IsValid() {
		t := m.Type()
		if t.NumIn() == 1 && t.In(0) == va.Type() && t.NumOut() == 1 && t.Out(0).Kind() == reflect.Bool {
			return m.Call([]reflect.Value{vb})[0].Bool()
		}
	}
	return deepSame(va, vb, 0)
}

// deepSame compares two values of one type; depth bounds cycles.
func deepSame(a, b reflect.Value, depth int) bool {
	if depth > 100 {
		return true // a cycle, or nesting no generator makes
	}
	switch a.Kind() {
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return a.Uint() == b.Uint()
	case reflect.Float32, reflect.Float64:
		return math.Float64bits(a.Float()) == math.Float64bits(b.Float())
	case reflect.Complex64, reflect.Complex128:
		ca, cb := a.Complex(), b.Complex()
		return math.Float64bits(real(ca)) == math.Float64bits(real(cb)) &&
			math.Float64bits(imag(ca)) == math.Float64bits(imag(cb))
	case reflect.String:
		return a.String() == b.String()
	case reflect.Slice, reflect.Array:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !deepSame(a.Index(i), b.Index(i), depth+1) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		it := a.MapRange()
		for it.Next() {
			w := b.MapIndex(it.Key())
			if !w.IsValid() || !deepSame(it.Value(), w, depth+1) {
				return false
			}
		}
		return true
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		if a.Kind() == reflect.Interface && a.Elem().Type() != b.Elem().Type() {
			return false
		}
		return deepSame(a.Elem(), b.Elem(), depth+1)
	case reflect.Struct:
		for i := range a.NumField() {
			if !deepSame(a.Field(i), b.Field(i), depth+1) {
				return false
			}
		}
		return true
	}
	// Funcs, channels, unsafe pointers: no codec stores them.
	return true
}
