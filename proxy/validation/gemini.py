"""Gemini ``generateContent`` / ``countTokens`` request shape (Gemini API
reference, "GenerateContentRequest"; fields in camelCase or snake_case, as
the proto3 JSON mapping allows)."""
from proxy.validation.shape import (BOOLEAN, INTEGER, NUMBER, OBJECT, STRING, Arr, Either,
                                    Obj)
from proxy.validation.json_schema import SCHEMA


def _obj(fields, required=()):
    return Obj(fields, required=required, spellings=True)


_BLOB = _obj({"mimeType": STRING, "data": STRING}, ("mimeType", "data"))

_PART = _obj({
    "text": STRING, "thought": BOOLEAN, "thoughtSignature": STRING,
    "inlineData": _BLOB, "fileData": _obj({"mimeType": STRING, "fileUri": STRING}, ("fileUri",)),
    "functionCall": _obj({"id": STRING, "name": STRING, "args": OBJECT}, ("name",)),
    "functionResponse": _obj({"id": STRING, "name": STRING, "response": OBJECT,
                              "parts": Arr(OBJECT)}, ("name",)),
    "executableCode": OBJECT, "codeExecutionResult": OBJECT,
})

CONTENT = _obj({"role": STRING, "parts": Arr(_PART)})

_DECLARATION = _obj({"name": STRING, "description": STRING, "parameters": SCHEMA,
                     "parametersJsonSchema": SCHEMA}, ("name",))

_GENERATION = _obj({
    "temperature": NUMBER, "topP": NUMBER, "topK": NUMBER, "maxOutputTokens": INTEGER,
    "candidateCount": INTEGER, "seed": INTEGER, "stopSequences": Arr(STRING),
    "responseModalities": Arr(STRING), "responseMimeType": STRING,
    "responseSchema": SCHEMA, "responseJsonSchema": SCHEMA,
    "thinkingConfig": _obj({"thinkingBudget": INTEGER, "thinkingLevel": STRING,
                            "includeThoughts": BOOLEAN}),
})

GENERATE = _obj({
    "contents": Arr(CONTENT), "systemInstruction": Either(STRING, CONTENT),
    "tools": Arr(_obj({"functionDeclarations": Arr(_DECLARATION)})),
    "toolConfig": _obj({"functionCallingConfig": _obj({
        "mode": STRING, "allowedFunctionNames": Arr(STRING)})}),
    "generationConfig": _GENERATION, "safetySettings": Arr(OBJECT),
    "cachedContent": STRING,
})

REQUEST = _obj(dict(GENERATE.fields, generateContentRequest=GENERATE))
