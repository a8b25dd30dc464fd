"""The official SDKs, pointed at a gateway exactly as a user would."""
import anthropic
import openai
import requests
from google import genai
from google.genai import types as gtypes

from tests.integration.conftest import CLIENT_KEY


def openai_client(gateway, key=CLIENT_KEY):
    return openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=key, max_retries=0, timeout=20)


def anthropic_client(gateway, key=CLIENT_KEY):
    return anthropic.Anthropic(base_url=gateway.url, api_key=key, max_retries=0, timeout=20)


def gemini_client(gateway, key=CLIENT_KEY, api_version=None):
    options = gtypes.HttpOptions(base_url=gateway.url, timeout=20000,
                                 api_version=api_version)
    return genai.Client(api_key=key, http_options=options)


def gemini_array_stream(gateway, model, query=""):
    """streamGenerateContent as a REST client without ``alt=sse`` calls it: the
    response is one JSON array of GenerateContentResponse objects."""
    resp = requests.post(
        f"{gateway.url}/v1beta/models/{model}:streamGenerateContent{query}",
        json={"contents": [{"role": "user", "parts": [{"text": "hi"}]}]},
        headers={"x-goog-api-key": CLIENT_KEY}, timeout=20)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "application/json; charset=UTF-8"
    chunks = [gtypes.GenerateContentResponse.model_validate(c) for c in resp.json()]
    return "".join(c.text or "" for c in chunks), chunks


WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Current weather of a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]},
}


def openai_tools():
    return [{"type": "function", "function": WEATHER_TOOL}]


def responses_tools():
    return [dict(WEATHER_TOOL, type="function")]


def anthropic_tools():
    return [{"name": WEATHER_TOOL["name"], "description": WEATHER_TOOL["description"],
             "input_schema": WEATHER_TOOL["parameters"]}]


def gemini_tools():
    return [gtypes.Tool(function_declarations=[gtypes.FunctionDeclaration(
        name=WEATHER_TOOL["name"], description=WEATHER_TOOL["description"],
        parameters_json_schema=WEATHER_TOOL["parameters"])])]
