using System;

namespace KernelGen;

/// <summary>
/// Base of every attribute that belongs in a network's stack (layers, losses, optimizers).
/// The generator reports KG0011 for a type derived from it that it does not know.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public abstract class NetworkElementAttribute : Attribute
{
}
